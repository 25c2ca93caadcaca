/**
 * multipart/form-data bodies (Graph Store Protocol §5.5: a POST may carry several RDF documents as
 * parts, to be merged), parsed with @fastify/busboy from the body fastify already limited to
 * KNOWD_MAX_BODY_BYTES. Each file part keeps its own Content-Type, which names its RDF format.
 */
import { Busboy, type BusboyFileStream, type BusboyHeaders, type BusboyInstance } from '@fastify/busboy';
import type { IncomingHttpHeaders } from 'node:http';
import { KnowdError } from '../../base/index.js';

export interface MultipartPart {
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string;
  readonly text: string;
}

/** What a multipart body parses to (the request's `body`): a marker plus its parts in order. */
export interface MultipartBody {
  readonly multipart: readonly MultipartPart[];
}

export function isMultipart(body: unknown): body is MultipartBody {
  return typeof body === 'object' && body !== null && Array.isArray((body as Partial<MultipartBody>).multipart);
}

export function parseMultipart(headers: IncomingHttpHeaders, body: Buffer): Promise<MultipartBody> {
  return new Promise((resolve, reject) => {
    let bb: BusboyInstance;
    try {
      bb = new Busboy({ headers: headers as BusboyHeaders });
    } catch (e) {
      reject(new KnowdError('BAD_REQUEST', `Malformed multipart/form-data request: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    const parts: Promise<MultipartPart>[] = [];
    bb.on('file', (name: string, file: BusboyFileStream, filename: string, _encoding: string, mimetype: string) => {
      parts.push(
        new Promise((done, fail) => {
          const chunks: Buffer[] = [];
          file.on('data', (c: Buffer) => chunks.push(c));
          file.on('end', () => done({ name, filename: filename === '' ? undefined : filename, contentType: mimetype, text: Buffer.concat(chunks).toString('utf8') }));
          file.on('error', fail);
        }),
      );
    });
    // A plain form field (no filename) carries a document too: its content type is unknown here.
    bb.on('field', (name: string, value: string) => parts.push(Promise.resolve({ name, filename: undefined, contentType: '', text: value })));
    bb.on('error', (e: unknown) => reject(new KnowdError('BAD_REQUEST', `Malformed multipart/form-data request: ${e instanceof Error ? e.message : String(e)}`)));
    bb.on('finish', () => {
      Promise.all(parts).then((multipart) => resolve({ multipart }), reject);
    });
    bb.end(body);
  });
}
