// Small wire conventions shared by every resource.

/** Octavia prints times as ISO 8601 without fractions or zone: 2024-01-31T12:00:00. */
export function formatTime(iso: string | null): string | null {
  return iso ? iso.slice(0, 19) : null;
}
