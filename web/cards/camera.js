/**
 * The desk's webcam on the card page: a live view with a passport-style frame, and the framed part
 * taken as a JPEG the size of a card photo. The photo stays in the page (a canvas and a Blob): no
 * object URL, nothing in the address or the console. Every track is stopped when the camera is put
 * away, so the camera's light goes off.
 */

/**
 * The photo's shape, width by height: the built-in template's photo frame (templates/cards/
 * library-card-front.svg, 240 × 300). A template with another frame crops the photo to it
 * (`preserveAspectRatio="xMidYMid slice"`), centred.
 */
export const PHOTO_ASPECT = { width: 4, height: 5 };
/** At most this wide (and 5/4 of it high): 2.5 times the frame at 300 dpi, far under the upload limit. */
const PHOTO_MAX_WIDTH = 600;
const JPEG_QUALITY = 0.9;

/** Why the camera cannot be used, in words for the desk. */
export function cameraRefusal(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'the browser was not allowed to use it — allow the camera for this page, or upload a photo file';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no camera was found at this desk — upload a photo file';
    case 'NotReadableError':
    case 'AbortError':
      return 'the camera is in use by another program, or it failed — close that program, or upload a photo file';
    case 'Unsupported':
      return 'this page can use a camera only when it is opened over https or on this computer (localhost) — upload a photo file';
    default:
      return 'it could not be started — upload a photo file';
  }
}

/** The centred part of a `width` × `height` frame that has the photo's shape. */
export function photoCrop(width, height) {
  const { width: aw, height: ah } = PHOTO_ASPECT;
  if (width * ah > height * aw) {
    const cropWidth = Math.round((height * aw) / ah);
    return { x: Math.floor((width - cropWidth) / 2), y: 0, width: cropWidth, height };
  }
  const cropHeight = Math.round((width * ah) / aw);
  return { x: 0, y: Math.floor((height - cropHeight) / 2), width, height: cropHeight };
}

export class DeskCamera {
  /** @param {HTMLVideoElement} video */
  constructor(video) {
    this.video = video;
    this.stream = undefined;
    this.opening = 0;
  }

  get live() {
    return this.stream !== undefined;
  }

  /**
   * Starts the camera into the video: true once it shows, false when put away meanwhile; rejects
   * with an Error whose `name` `cameraRefusal` reads.
   */
  async open() {
    this.stop();
    if (!navigator.mediaDevices?.getUserMedia) {
      const error = new Error('no getUserMedia');
      error.name = 'Unsupported';
      throw error;
    }
    const attempt = ++this.opening;
    // 4:3 is the tallest shape desk webcams offer: the most pixels for a portrait crop.
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { width: { ideal: 1280 }, height: { ideal: 960 }, facingMode: 'user' },
      });
    } catch (error) {
      if (attempt !== this.opening) return false; // put away while the browser was asking
      throw error;
    }
    if (attempt !== this.opening) {
      // Put away (or opened again) while the browser was asking: this stream is not wanted.
      for (const track of stream.getTracks()) track.stop();
      return false;
    }
    this.stream = stream;
    this.video.srcObject = stream;
    try {
      await this.video.play();
    } catch (error) {
      if (attempt !== this.opening) return false; // put away while it was starting
      this.stop();
      throw error;
    }
    return attempt === this.opening;
  }

  /** The framed part of the live picture as a JPEG Blob; the camera stays on. */
  async capture(canvas) {
    const { videoWidth, videoHeight } = this.video;
    if (!this.live || !videoWidth || !videoHeight) throw new Error('the camera has no picture yet');
    const crop = photoCrop(videoWidth, videoHeight);
    const scale = Math.min(1, PHOTO_MAX_WIDTH / crop.width);
    canvas.width = Math.round(crop.width * scale);
    canvas.height = Math.round((canvas.width * PHOTO_ASPECT.height) / PHOTO_ASPECT.width);
    const context = canvas.getContext('2d');
    context.drawImage(this.video, crop.x, crop.y, crop.width, crop.height, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) =>
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error('the picture could not be encoded'))),
        'image/jpeg',
        JPEG_QUALITY,
      ),
    );
  }

  /** Stops every track (the light goes off) and empties the video; also cancels an open() under way. */
  stop() {
    this.opening++;
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    this.stream = undefined;
    this.video.pause();
    this.video.srcObject = null;
  }
}
