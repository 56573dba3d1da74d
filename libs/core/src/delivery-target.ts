/**
 * Which delivery target a message goes to. The stored message and the API keep one `url`; its
 * scheme names the target type, and the worker asks the registry (`DeliveryTargets`, built by the
 * wiring) for that type's adapter. Adding a type: a scheme here, its case in `TargetType`, an
 * adapter implementing `DeliveryTarget`, and its entry in the wiring's registry.
 */
import type { DeliveryTarget, DeliveryTargets, TargetType } from './ports';

/** URL schemes (as `URL.protocol` gives them) and the target type each one means. */
export const TARGET_SCHEMES: Readonly<Record<string, TargetType>> = { 'http:': 'http', 'https:': 'http' };

/** The target type of a URL, or undefined when it is not a URL or no type takes its scheme. */
export const targetTypeOf = (url: string): TargetType | undefined => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return Object.hasOwn(TARGET_SCHEMES, parsed.protocol) ? TARGET_SCHEMES[parsed.protocol] : undefined;
};

/** The adapter that delivers to `url`, or undefined when no registered type takes it. */
export const deliveryTargetFor = (targets: DeliveryTargets, url: string): DeliveryTarget | undefined => {
  const type = targetTypeOf(url);
  return type === undefined ? undefined : targets[type];
};
