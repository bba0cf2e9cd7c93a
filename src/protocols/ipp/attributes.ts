/**
 * Building IPP requests and reading answers by attribute name: what the
 * client and the simulator use instead of walking groups by hand.
 */
import type { IppAttribute, IppGroup, IppMessage, IppTaggedValue, IppValue } from './message.js';
import { GROUP, TAG } from './tags.js';

/** An attribute as written in a request: name, syntax, one value or several. */
export type AttributeSpec = readonly [name: string, tag: number, value: IppValue | readonly IppValue[]];

export function attribute(name: string, tag: number, value: IppValue | readonly IppValue[]): IppAttribute {
  const values = Array.isArray(value) ? (value as readonly IppValue[]) : [value as IppValue];
  return { name, values: values.map((v): IppTaggedValue => ({ tag, value: v })) };
}

/** The operation attributes every request starts with (RFC 8011 §4.1.4): charset, then language. */
export function operationGroup(specs: readonly AttributeSpec[]): IppGroup {
  return {
    tag: GROUP.operation,
    attributes: [
      attribute('attributes-charset', TAG.charset, 'utf-8'),
      attribute('attributes-natural-language', TAG.naturalLanguage, 'en'),
      ...specs.map(([name, tag, value]) => attribute(name, tag, value)),
    ],
  };
}

export function group(tag: number, specs: readonly AttributeSpec[]): IppGroup {
  return { tag, attributes: specs.map(([name, tag, value]) => attribute(name, tag, value)) };
}

/** Every group of one kind (each job of a Get-Jobs answer is one job group). */
export function groupsOf(message: IppMessage, tag: number): IppGroup[] {
  return message.groups.filter((g) => g.tag === tag);
}

export function find(group: IppGroup | undefined, name: string): IppAttribute | undefined {
  return group?.attributes.find((a) => a.name === name);
}

/** The first value of an integer or enum attribute; undefined when absent or out of band. */
export function integerOf(group: IppGroup | undefined, name: string): number | undefined {
  const value = find(group, name)?.values[0]?.value;
  return typeof value === 'number' ? value : undefined;
}

export function booleanOf(group: IppGroup | undefined, name: string): boolean | undefined {
  const value = find(group, name)?.values[0]?.value;
  return typeof value === 'boolean' ? value : undefined;
}

/** The first value of a string attribute (text and name with or without language, keyword, uri…). */
export function stringOf(group: IppGroup | undefined, name: string): string | undefined {
  const value = find(group, name)?.values[0]?.value;
  return stringValue(value);
}

/** Every string value of a 1setOf attribute. */
export function stringsOf(group: IppGroup | undefined, name: string): string[] {
  return (find(group, name)?.values ?? []).flatMap((v) => {
    const text = stringValue(v.value);
    return text === undefined ? [] : [text];
  });
}

function stringValue(value: IppValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'text' in value && 'language' in value) return value.text;
  return undefined;
}
