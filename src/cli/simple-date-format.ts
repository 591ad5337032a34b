/**
 * Java's SimpleDateFormat patterns (`yyyy-MM-dd HH:mm:ss:SSS`), which Kafka's tools take for
 * --date-format, so a Kafka user's pattern prints the same here. Times are in the local time
 * zone (TZ), as the JVM's default.
 *
 * Supported letters: G y Y M L d D E u a H k K h m s S z Z X, text in single quotes and '' for
 * a quote. Other ASCII letters are refused, as Java refuses them ("Illegal pattern character").
 * Month and day names are English.
 */

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']

type Part = string | ((d: Date) => string)

export class DateFormatError extends Error {
  override name = 'DateFormatError'
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/** Numbers: at least `count` digits. Text: the full name from 4 letters on, else the short one. */
function field(letter: string, count: number): (d: Date) => string {
  switch (letter) {
    case 'G':
      return (d) => (d.getFullYear() > 0 ? 'AD' : 'BC')
    case 'y':
    case 'Y':
      // Java: exactly two letters truncate to the last two digits.
      return count === 2 ? (d) => pad(d.getFullYear() % 100, 2) : (d) => pad(d.getFullYear(), count)
    case 'M':
    case 'L':
      if (count >= 4) return (d) => MONTHS[d.getMonth()]!
      if (count === 3) return (d) => MONTHS[d.getMonth()]!.slice(0, 3)
      return (d) => pad(d.getMonth() + 1, count)
    case 'd':
      return (d) => pad(d.getDate(), count)
    case 'D':
      return (d) => pad(dayOfYear(d), count)
    case 'E':
      return count >= 4 ? (d) => DAYS[d.getDay()]! : (d) => DAYS[d.getDay()]!.slice(0, 3)
    case 'u':
      return (d) => pad(d.getDay() === 0 ? 7 : d.getDay(), count)
    case 'a':
      return (d) => (d.getHours() < 12 ? 'AM' : 'PM')
    case 'H':
      return (d) => pad(d.getHours(), count)
    case 'k':
      return (d) => pad(d.getHours() === 0 ? 24 : d.getHours(), count)
    case 'K':
      return (d) => pad(d.getHours() % 12, count)
    case 'h':
      return (d) => pad(d.getHours() % 12 === 0 ? 12 : d.getHours() % 12, count)
    case 'm':
      return (d) => pad(d.getMinutes(), count)
    case 's':
      return (d) => pad(d.getSeconds(), count)
    case 'S':
      return (d) => pad(d.getMilliseconds(), count)
    case 'z':
      return (d) => zoneName(d)
    case 'Z':
      return (d) => offset(d, '')
    case 'X':
      if (count > 3) throw new DateFormatError(`invalid ISO 8601 format: length=${count}`)
      return (d) => (d.getTimezoneOffset() === 0 ? 'Z' : count === 1 ? offset(d, '').slice(0, 3) : offset(d, count === 3 ? ':' : ''))
    default:
      throw new DateFormatError(`Illegal pattern character '${letter}'`)
  }
}

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1)
  return Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86_400_000) + 1
}

/** "+0100", or "+01:00" with sep ':'. */
function offset(d: Date, sep: string): string {
  const minutes = -d.getTimezoneOffset()
  const abs = Math.abs(minutes)
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}${sep}${pad(abs % 60, 2)}`
}

function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')
  return part?.value ?? offset(d, ':')
}

/** Compiles `pattern` into a formatter of epoch milliseconds; throws DateFormatError on a bad pattern. */
export function compileDateFormat(pattern: string): (epochMs: number) => string {
  const parts: Part[] = []
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i]!
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        parts.push("'")
        i += 2
        continue
      }
      let text = ''
      i++
      for (;;) {
        if (i >= pattern.length) throw new DateFormatError(`Unterminated quote in '${pattern}'`)
        if (pattern[i] === "'") {
          if (pattern[i + 1] === "'") {
            text += "'"
            i += 2
            continue
          }
          i++
          break
        }
        text += pattern[i]
        i++
      }
      parts.push(text)
    } else if (/[A-Za-z]/.test(c)) {
      let n = 1
      while (pattern[i + n] === c) n++
      parts.push(field(c, n))
      i += n
    } else {
      parts.push(c)
      i++
    }
  }
  return (ms) => {
    const d = new Date(ms)
    let s = ''
    for (const p of parts) s += typeof p === 'string' ? p : p(d)
    return s
  }
}
