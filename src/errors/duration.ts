/**
 * How refusals and `resource-guard doctor` word a length of time: seconds while they are
 * easy to read, then minutes, hours, days, rounded down. One function, so the doctor's claim
 * check ("expired 10 min ago") and the guard's own answer ("token expired 10 min ago") always
 * say the same thing.
 */

/** `42 s`, `10 min`, `5 h`, `3 days`, for a number of seconds (its sign ignored). */
export function formatDuration(seconds: number): string {
  const s = Math.floor(Math.abs(seconds));
  if (s < 120) return `${s} s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} days`;
}
