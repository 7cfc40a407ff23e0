import type { Platform } from '../contract/enums.ts';
import type { Target } from '../contract/policy.schemas.ts';
import { compiledTarget, hasGlob, normalizePath } from '../contract/targets.ts';
import type { PolicyTemplate, TemplateTarget } from './policy-templates.ts';

/**
 * Server recommendations, in the manner of Trend Micro's "Scan for Recommendations": the template
 * targets that apply to a server (its platform, and the software its agent reported) and that none of
 * its group's policies monitors yet. Pure: the caller loads the server and the policies.
 */

export interface RecommendedTarget extends TemplateTarget {
  /** The reported software that makes this target apply; empty when it applies to every server of the platform. */
  because: string[];
}

export interface RecommendedTemplate {
  id: string;
  name: string;
  description: string;
  targets: RecommendedTarget[];
}

export interface ServerFacts {
  platform: Platform;
  /** Reported software ids; undefined when the agent has not reported any (an older agent). */
  software?: readonly string[] | undefined;
}

/** Whether `candidate` is already monitored by one of `targets` (the same path, or inside one's scope). */
export function isMonitored(candidate: Pick<Target, 'path' | 'recursive'>, targets: readonly Target[], platform: Platform): boolean {
  const path = normalizePath(candidate.path, platform);
  const key = platform === 'windows' ? path.toLowerCase() : path;
  const slash = path.lastIndexOf('/');
  const wildcard = hasGlob(path.slice(slash + 1));
  return targets.some((target) => {
    const compiled = compiledTarget(target, { platform });
    if ((platform === 'windows' ? compiled.path.toLowerCase() : compiled.path) === key) return true;
    if (wildcard) return compiled.walksInto(path.slice(0, slash) || '/');
    return compiled.contains(path) && (candidate.recursive === false || compiled.walksInto(path));
  });
}

/** The templates' targets that apply to the server and are not monitored yet, by template (empty ones left out). */
export function recommend(templates: readonly PolicyTemplate[], server: ServerFacts, monitored: readonly Target[]): RecommendedTemplate[] {
  const software = new Set(server.software ?? []);
  const out: RecommendedTemplate[] = [];
  for (const template of templates) {
    if (template.platform !== server.platform) continue;
    const targets: RecommendedTarget[] = [];
    for (const target of template.targets) {
      const because = (target.appliesTo ?? []).filter((s) => software.has(s));
      if (target.appliesTo && because.length === 0) continue;
      if (isMonitored(target, monitored, server.platform)) continue;
      targets.push({ ...target, because });
    }
    if (targets.length) out.push({ id: template.id, name: template.name, description: template.description, targets });
  }
  return out;
}
