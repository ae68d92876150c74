/**
 * Tag values as stored. Line protocol cannot carry a tag value whose backslash precedes a comma,
 * space, `=` or the end of the value (`x\` is unwritable: the parser reads `\,` as an escaped
 * comma, and InfluxDB never unescapes `\\`). So every backslash in the `system` and `name` tags is
 * stored doubled, and halved again on the way out; queries compare against the encoded form.
 * Only names that contain a backslash are affected (Grafana shows those doubled).
 */
export const encodeTag = (value: string): string => value.replaceAll("\\", "\\\\");
export const decodeTag = (value: string): string => value.replaceAll("\\\\", "\\");
