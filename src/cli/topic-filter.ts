/**
 * Kafka's topic include list, as kafka-topics.sh reads --topic for --list, --describe, --alter
 * and --delete (and the console consumer its --include): a Java regular expression that must
 * match the whole name. Commas mean "or" and spaces are dropped, so `a, b` selects a and b;
 * surrounding quotes are dropped because values copied from properties files often carry them.
 *
 * Java and JavaScript regexes agree on everything people write here (`.*`, classes,
 * alternation, anchors); Java-only syntax (possessive quantifiers, \Q...\E) is an invalid regex.
 */
import { isInternalTopic } from '../metadata/topic-name.js'
import { usage } from './common.js'

export class TopicFilter {
  /** The normalised regex, as Kafka prints it in errors. */
  readonly regex: string
  private readonly pattern: RegExp

  constructor(raw: string, flag = '--topic') {
    this.regex = raw
      .trim()
      .replace(/,/g, '|')
      .replace(/ /g, '')
      .replace(/^["']+/, '')
      .replace(/["']+$/, '')
    try {
      this.pattern = new RegExp(`^(?:${this.regex})$`)
    } catch {
      throw usage(`${flag}: ${this.regex} is an invalid regex; give a topic name or a regular expression such as 'orders.*'`)
    }
  }

  /** Whether the topic is selected; internal topics never are when `excludeInternal`. */
  allows(topic: string, excludeInternal = false): boolean {
    return this.pattern.test(topic) && !(excludeInternal && isInternalTopic(topic))
  }
}
