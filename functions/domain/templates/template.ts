import type { Platform } from '../../contract/enums.ts';
import type { Target } from '../../contract/policy.schemas.ts';
import type { Software } from '../../contract/software.ts';
import { newTarget } from '../../contract/target-defaults.ts';

/** A template's target: a policy target (no id yet) and the software it is recommended for. */
export type TemplateTarget = Omit<Target, 'id'> & {
  /** Recommend this target only to servers that run one of these; absent: to every server of the platform. */
  appliesTo?: Software[];
};

/** Something a template lists that the agent cannot monitor yet (Windows registry keys). */
export interface UnsupportedItem {
  path: string;
  kind: 'registry-key';
  reason: string;
}

/**
 * A built-in starting point for a policy (GET /v1/policy-templates, `fromTemplate` on create) and the
 * source of server recommendations.
 */
export interface PolicyTemplate {
  id: string;
  name: string;
  description: string;
  platform: Platform;
  targets: TemplateTarget[];
  unsupported?: UnsupportedItem[];
}

/** A template target: the defaults a posted target gets, plus what is given. */
export function templateTarget(path: string, options: Partial<Omit<TemplateTarget, 'path'>> = {}): TemplateTarget {
  return newTarget(path, options);
}
