import type { Server } from 'node:http';
export const root: string;
export function buildNeeded(): string | null;
export function ensureBuilt(): Promise<void>;
export function serve(port?: number): Promise<{ server: Server; port: number; url: string }>;
