// The drive layer's entry point: builds the TeraBox-backed Drive and opens the local-state DB it uses.

import { TeraBoxDrive, type TeraBoxDriveOptions } from './terabox-drive.js';

export { openLocalState } from './local-state.js';
export { DRIVE_DEFAULTS, type TeraBoxDrive, type TeraBoxDriveOptions } from './terabox-drive.js';
export { DEFAULT_OVERLAY_PATTERNS } from './junk-names.js';
export * from './types.js';

/** The TeraBox-backed Drive; beyond the Drive contract it finishes journalled uploads (resumeUploads). */
export function createTeraBoxDrive(opts: TeraBoxDriveOptions): TeraBoxDrive {
  return new TeraBoxDrive(opts);
}
