// The upload pipeline's entry: createUploader() is all the drive layer calls.

import type { UploadService } from './types.js';
import { resolveOptions, type UploaderOptions } from './options.js';
import { Uploader } from './uploader.js';

export type { UploaderOptions } from './options.js';
export { UploadError } from './types.js';
export type { ResumeOutcome, UploadErrorCode, UploadRequest, UploadResult, UploadService } from './types.js';

export function createUploader(opts: UploaderOptions): UploadService {
  return new Uploader(resolveOptions(opts));
}
