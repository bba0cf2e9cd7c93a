import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/**
 * A request's schema issues with each union said as the fields of its nearest form. zod says of
 * a body matching no form of a union only 'Invalid input', at the union's place; a client needs
 * the field: a renewal without `item` is told `item` is missing, and one with an `item` of the
 * wrong type that `item` is wrong (not that `all` is missing). The nearest form is the one needing
 * the fewest fixes, the first listed when several need as few (the common form comes first).
 */
export function withUnionsExpanded(issues: readonly Issue[]): Issue[] {
  return issues.flatMap(expand);
}

function expand(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || !Array.isArray(issue.errors) || issue.errors.length === 0)
    return [issue];
  let nearest = issue.errors[0] as Issue[];
  for (const form of issue.errors) if (form.length < nearest.length) nearest = form;
  return nearest
    .map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }) as Issue)
    .flatMap(expand);
}
