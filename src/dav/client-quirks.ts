// Known client bugs the server works around, recognised by User-Agent; each one names its evidence.

/**
 * rclone's webdav backend sent `Overwrite: F` on every server-side COPY and MOVE until v1.63
 * (rclone#6964, PR #6972) although it means to replace: it compares the destination first and, for a
 * move, deletes it itself. Debian 12 ships 1.60.1 (whose User-Agent is a bare `rclone/`), so a
 * `rclone sync remote:a remote:b` that updates a changed file failed with 412 on every try. No rclone
 * sends F meaning F, so from rclone it is read as T.
 */
export function overwriteFalseMeansTrue(userAgent: string | undefined): boolean {
  return userAgent !== undefined && /^rclone\//i.test(userAgent.trim());
}
