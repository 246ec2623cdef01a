import type {IncomingHttpHeaders} from 'node:http';
import type {EngineKind} from '../model/container-info.js';
import {profiles} from '../profiles/registry.js';

/** The engine kind an answer's headers reveal: the first profile that recognises them. */
export function readEngineKind(headers: IncomingHttpHeaders): EngineKind {
  return profiles.find((profile) => profile.recognise(headers))?.engine ?? 'unknown';
}
