// Saves a file the app produced (a log, an export): the browser's download in web mode, the same in the
// desktop app (Electron shows its save dialog for a download). Nothing leaves this computer.

export function downloadFile(filename: string, content: string | Uint8Array, type = 'text/plain'): void {
  const body: BlobPart = typeof content === 'string' ? content : new Uint8Array(content);
  const url = URL.createObjectURL(new Blob([body], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Base64 (as the contract carries binary files) to bytes. */
export function fromBase64(data: string): Uint8Array {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
