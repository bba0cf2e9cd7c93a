import { z } from 'zod';
import {
  checkinRequestSchema,
  checkoutRequestSchema,
  endSessionRequestSchema,
  feePaymentRequestSchema,
  holdRequestSchema,
  patronLookupRequestSchema,
  patronRefSchema,
} from '../api/http/resources/circulation.js';
import {
  receiptRequestSchema,
  rfidProgramRequestSchema,
  rfidSecurityRequestSchema,
  tagUidSchema,
} from '../api/http/schemas.js';
import { createBrokerAuth } from '../api/mqtt/auth.js';
import { mqttBrokerUrlFor, mqttConnectionFor, redactBrokerUrl } from '../api/mqtt/connection.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../api/mqtt/embedded-broker.js';
import { MqttApi, type MqttApiClientOptions, type MqttApiEmbeddedOptions } from '../api/mqtt/mqtt-api.js';
import type { MqttAction } from '../api/mqtt/requests.js';
import { CarrelTopics } from '../api/mqtt/topics.js';
import { CarrelError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { CarrelConfig } from '../gateway/config/schema.js';
import { tagsWithoutPatronIds, withoutPatronIds } from '../gateway/devices/rfid-reader.js';
import type { Feature } from '../gateway/feature.js';
import type { DeskServices } from '../gateway/services.js';

function parse<T>(schema: z.ZodType<T>, data: unknown): T {
  const result = schema.safeParse(data ?? {});
  if (result.success) return result.data;
  const detail = result.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ');
  throw new CarrelError('bad_request', detail);
}

const printerRef = z.object({ printer: z.string().min(1) });
const readerRef = z.object({ reader: z.string().min(1) });
const tagRef = readerRef.extend({ uid: tagUidSchema });

/** The request/response actions MQTT clients may call: the same services the HTTP API uses. */
export function mqttActions(services: DeskServices): Record<string, MqttAction> {
  return {
    'devices.list': async () => ({ devices: services.devices() }),
    'devices.get': async (data) => {
      const { device } = parse(z.object({ device: z.string().min(1) }), data);
      const state = services.device(device);
      if (!state) throw new CarrelError('device_not_found', `no device "${device}"`);
      return state;
    },
    'printers.print': async (data) => {
      const request = parse(printerRef.extend(receiptRequestSchema.shape), data);
      return services.printers.submit(request.printer, { template: request.template, data: request.data });
    },
    'printers.job': async (data) => {
      const { printer, job } = parse(printerRef.extend({ job: z.string().min(1) }), data);
      const found = services.printers.job(printer, job);
      if (!found) throw new CarrelError('job_not_found', `no job "${job}"`);
      return found;
    },
    // Only the asking client reads the answer; patron card ids are left out all the same.
    'rfid.tags': async (data) => tagsWithoutPatronIds(services.rfid.tags(parse(readerRef, data).reader)),
    'rfid.security': async (data) => {
      const { reader, uid, secured } = parse(tagRef.extend(rfidSecurityRequestSchema.shape), data);
      return services.rfid.setSecurity(reader, uid, secured);
    },
    'rfid.program': async (data) => {
      const { reader, uid, ...request } = parse(tagRef.extend(rfidProgramRequestSchema.shape), data);
      return withoutPatronIds(await services.rfid.program(reader, uid, request));
    },
    ...circulationActions(services),
  };
}

/**
 * Circulation over MQTT, the same service and schemas as HTTP. A refusal is an
 * error envelope whose code is the reason and whose message is the ILS's screen
 * messages. These answers name the patron: each goes to the asking client's own
 * answers area only (access.ts).
 */
function circulationActions(services: DeskServices): Record<string, MqttAction> {
  const { circulation } = services;
  const context = { terminal: 'mqtt' };
  return {
    'circulation.patron': async (data) =>
      circulation.lookUpPatron(parse(patronLookupRequestSchema, data), context),
    'circulation.checkout': async (data) => circulation.checkout(parse(checkoutRequestSchema, data), context),
    'circulation.checkin': async (data) => circulation.checkin(parse(checkinRequestSchema, data), context),
    'circulation.renew': async (data) =>
      circulation.renew(
        parse(patronRefSchema.extend({ item: checkinRequestSchema.shape.item }), data),
        context,
      ),
    'circulation.renewAll': async (data) => circulation.renewAll(parse(patronRefSchema, data), context),
    'circulation.hold': async (data) => circulation.placeHold(parse(holdRequestSchema, data), context),
    'circulation.holdCancel': async (data) => circulation.cancelHold(parse(holdRequestSchema, data), context),
    'circulation.feePaid': async (data) => circulation.payFee(parse(feePaymentRequestSchema, data), context),
    'circulation.item': async (data) => circulation.item(parse(checkinRequestSchema, data).item, context),
    'circulation.endSession': async (data) =>
      circulation.endSession(parse(endSessionRequestSchema, data), context),
  };
}

/** The embedded broker (when configured) and the MQTT topic API, as one feature. */
export class MqttFeature implements Feature {
  readonly name = 'mqtt';
  private broker: EmbeddedBroker | undefined;
  private api: MqttApi | undefined;
  private brokerUrl: string | undefined;

  constructor(
    private readonly config: CarrelConfig,
    private readonly services: DeskServices,
    private readonly logger: Logger,
  ) {}

  /** The broker clients should use, for the start-up banner. */
  url(): string | undefined {
    return this.brokerUrl;
  }

  async start(): Promise<void> {
    const { mqtt } = this.config;
    if (mqtt.mode === 'off') return;
    let link: MqttApiClientOptions | MqttApiEmbeddedOptions;
    if (mqtt.mode === 'embedded') {
      const topics = new CarrelTopics(this.config.site, this.config.gateway);
      const auth = createBrokerAuth({ tokens: this.config.auth.tokens, topics });
      this.broker = await startEmbeddedBroker({
        host: mqtt.host,
        port: mqtt.port,
        logger: this.logger.child({ module: 'mqtt-broker' }),
        authenticate: auth.authenticate,
      });
      // In process: no socket and no mqtt.js; network clients still pass auth's rules.
      link = { embedded: this.broker.local };
      this.brokerUrl = mqttBrokerUrlFor(mqtt, this.broker);
    } else {
      const connection = mqttConnectionFor(mqtt);
      if (!connection) return;
      link = connection;
      this.brokerUrl = redactBrokerUrl(connection.url);
    }
    this.api = new MqttApi({
      site: this.config.site,
      gateway: this.config.gateway,
      ...link,
      bus: this.services.bus,
      logger: this.logger.child({ module: 'mqtt' }),
      deviceStates: () => this.services.devices(),
      actions: mqttActions(this.services),
    });
    try {
      await this.api.start();
    } catch (error) {
      await this.broker?.close();
      this.broker = undefined;
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.api?.stop();
    await this.broker?.close();
    this.api = undefined;
    this.broker = undefined;
  }
}
