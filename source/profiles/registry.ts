import {dockerProfile} from './docker.js';
import {podmanProfile} from './podman.js';
import {podmanRootlessProfile} from './podman-rootless.js';
import type {EngineProfile, HelperSpec} from './profile.js';

/** Every engine kind nanodock knows. A new kind is one profile module and one line here. */
export const profiles: readonly EngineProfile[] = [
  dockerProfile,
  podmanProfile,
  podmanRootlessProfile,
];

/** Every helper rule of every profile, with its profile. */
export const helperSpecs: readonly (HelperSpec & {readonly profile: EngineProfile})[] =
  profiles.flatMap((profile) => profile.helpers.map((helper) => ({...helper, profile})));

/** The profile whose engine reported a container with this endpoint, or undefined. */
export function profileOfEndpoint(
  endpoint: string,
  engine: EngineProfile['engine'],
): EngineProfile | undefined {
  return profiles.find((profile) => profile.ownsEndpoint(endpoint, engine));
}
