/**
 * Who wrote an object, from the text of its transparency-log entry (`object.added`): the entry's
 * `by` object. `entente correlate --all` asks this of every stored indicator and observation, and
 * parsing a whole entry per object cost more than a second per million objects.
 */

type JsonObject = Record<string, unknown>
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v)

function parseObject(json: string): JsonObject | null {
  try {
    const v: unknown = JSON.parse(json)
    return isObject(v) ? v : null
  } catch {
    return null
  }
}

/**
 * The `by` object of a log entry's text (null when there is none, or the text is not a JSON
 * object). Entries are canonical JSON (RFC 8785: keys in order), so they begin
 * `{"at":"…","by":{…}`: that object alone is parsed, up to its first `}`. Its values are strings,
 * so that brace closes it; otherwise (a `}` inside a string, a nested object, another layout) the
 * slice is not valid JSON and the whole entry is parsed instead. For any well-formed entry the
 * answer is what `JSON.parse(text).by` gives (the rest of the text is not checked: entries are
 * written by the node, and verified by `entente log verify`).
 */
export function entryActor(text: string): JsonObject | null {
  if (text.startsWith('{"at":"')) {
    // A JSON string ends at the first unescaped quote; an escaped one is followed by more string, not by `,"by":{`.
    const q = text.indexOf('"', 7)
    if (q > 0 && text.startsWith(',"by":{', q + 1)) {
      const open = q + 7
      const close = text.indexOf('}', open)
      if (close > 0) {
        const by = parseObject(text.slice(open, close + 1))
        if (by !== null) return by
      }
    }
  }
  const e = parseObject(text)
  return e !== null && isObject(e.by) ? e.by : null
}
