// A strict XML well-formedness parser for the SVG plots' tests, and small queries on its tree.

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** A strict XML well-formedness parser (elements, attributes, text, entities); throws on any error. */
export function parseXml(source: string): XmlNode {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`XML error at ${i}: ${what}: ${JSON.stringify(source.slice(i, i + 40))}`);
  };
  const checkText = (t: string) => {
    if (t.includes('<')) fail('raw < in text');
    for (const m of t.matchAll(/&([^;]*);?/g)) if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);$/i.test(m[0])) fail(`bad entity ${m[0]}`);
  };
  const name = () => {
    const m = /^[A-Za-z_][\w.:-]*/.exec(source.slice(i));
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const space = () => {
    while (/\s/.test(source[i] ?? '')) i++;
  };
  if (source.startsWith('<?xml')) {
    i = source.indexOf('?>') + 2;
    if (i < 2) fail('unterminated declaration');
  }
  space();
  const element = (): XmlNode => {
    if (source[i] !== '<') fail('expected <');
    i++;
    const node: XmlNode = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      space();
      if (source.startsWith('/>', i)) {
        i += 2;
        return node;
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected space before attribute');
      const key = name();
      if (key in node.attrs) fail(`duplicate attribute ${key}`);
      if (source[i] !== '=' || source[i + 1] !== '"') fail('expected ="');
      const end = source.indexOf('"', i + 2);
      if (end < 0) fail('unterminated attribute');
      const value = source.slice(i + 2, end);
      checkText(value);
      node.attrs[key] = value;
      i = end + 1;
    }
    for (;;) {
      const next = source.indexOf('<', i);
      if (next < 0) fail(`unclosed <${node.name}>`);
      const t = source.slice(i, next);
      checkText(t);
      node.text += t;
      i = next;
      if (source.startsWith('</', i)) {
        i += 2;
        if (name() !== node.name) fail(`mismatched closing tag for <${node.name}>`);
        space();
        if (source[i] !== '>') fail('expected >');
        i++;
        return node;
      }
      node.children.push(element());
    }
  };
  const root = element();
  space();
  if (i !== source.length) fail('content after the root element');
  return root;
}

export function all(node: XmlNode, name: string, out: XmlNode[] = []): XmlNode[] {
  if (node.name === name) out.push(node);
  for (const c of node.children) all(c, name, out);
  return out;
}
export const texts = (root: XmlNode) => all(root, 'text').map((t) => t.text);
