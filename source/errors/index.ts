export {DaemonNotFoundError, type EndpointAttempt} from './daemon-not-found-error.js';
export {EndpointConfigError} from './endpoint-config-error.js';
export {EngineRequestError, type EngineRequestFailure} from './engine-request-error.js';
export {EngineStatusError} from './engine-status-error.js';
export {InvalidJsonError} from './invalid-json-error.js';
export {LogFrameError, type LogFrameFault} from './log-frame-error.js';
export {NanodockError} from './nanodock-error.js';
export {ResponseTooLargeError} from './response-too-large-error.js';
export {UnsafeFileError, type UnsafeFileReason} from './unsafe-file-error.js';
