import type { NextminiStream } from 'nextmini';
export interface ExchangeResult {
  length: number;
  sha256: string;
  sentSha256: string;
  remoteNodeId: number;
  remotePort: number;
}
export function exchange(s: NextminiStream, data: Uint8Array): Promise<ExchangeResult>;
