/**
 * Who did something, as a record keeps it and staff read it (an alarm acknowledged, a card issued,
 * money paid out or checked): the name of the caller's token, or "at this desk" for a caller of a
 * desk without tokens, which serves its own machine only and knows no one's name.
 */
export const AT_THIS_DESK = 'at this desk';

/** What an older Carrel kept for a caller of a desk without tokens ('loopback'), read as AT_THIS_DESK. */
export const actorAsKept = (kept: string): string => (kept === 'loopback' ? AT_THIS_DESK : kept);

/** Who, after a verb ("checked …"): "at this desk", or "by" and the token's name. */
export const byWhom = (kept: string): string => {
  const actor = actorAsKept(kept);
  return actor === AT_THIS_DESK ? actor : `by ${actor}`;
};
