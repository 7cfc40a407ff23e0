import type { Target } from '../contract/policy.schemas.ts';
import { LINUX_TEMPLATES } from './templates/linux-templates.ts';
import type { PolicyTemplate, TemplateTarget } from './templates/template.ts';
import { WINDOWS_TEMPLATES } from './templates/windows-templates.ts';

export type { PolicyTemplate, TemplateTarget, UnsupportedItem } from './templates/template.ts';

/**
 * Every built-in template. Target paths are unique across them (policy-templates.test.ts), so a
 * recommended path names exactly one template target.
 */
export const POLICY_TEMPLATES: readonly PolicyTemplate[] = [...LINUX_TEMPLATES, ...WINDOWS_TEMPLATES];

export function findTemplate(id: string): PolicyTemplate | undefined {
  return POLICY_TEMPLATES.find((t) => t.id === id);
}

/** A template target as a policy stores it (without the recommendation metadata). */
export function asPolicyTarget({ appliesTo: _appliesTo, ...target }: TemplateTarget): Omit<Target, 'id'> {
  return target;
}
