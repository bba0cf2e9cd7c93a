export { type PrintServerSimulatorConfig, printServerSimulators } from './family.js';
export { samplePdf } from './sample-document.js';
export { type JobRequest, type PrintServerSimulator, startPrintServerSimulator } from './simulator.js';
