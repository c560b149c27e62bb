// The document shapes live in contract/documents.ts (the console reads them too); re-exported here
// so the server's modules keep one import path.
export type * from '../../../contract/documents.ts';
