/** A comma-separated setting or flag value ("a, b,,c") as its items: trimmed, empty ones dropped. */
export function listSetting(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);
}
