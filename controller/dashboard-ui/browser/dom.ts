/**
 * Building the page without a framework: elements from a tag, attributes and children, text
 * always set as text (never parsed as HTML), SVG in its own namespace.
 */

/** A child: an element, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes; `false`/`undefined` leave one out, `true` sets it empty. */
export type Attrs = Readonly<Record<string, string | number | boolean | undefined>>;

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: readonly (Child | readonly Child[])[]
): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function svg(
  tag: string,
  attrs: Attrs = {},
  ...children: readonly (Child | readonly Child[])[]
): SVGElement {
  return fill(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

function fill<E extends Element>(el: E, attrs: Attrs, children: readonly (Child | readonly Child[])[]): E {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces the children of `el`. */
export function show(el: Element, ...children: readonly (Child | readonly Child[])[]): void {
  el.replaceChildren(
    ...children
      .flat()
      .filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : String(c))),
  );
}

/** The element with `id`; the page is broken without it. */
export function byId(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the dashboard page has no #${id}`);
  return el;
}
