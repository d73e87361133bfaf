// xterm.js writes its theme and cell metrics into <style> elements it creates. Under the app's Content Security
// Policy (style-src 'self', no inline styles) the browser refuses them, and the terminal would show no colours and
// wrong line heights. Constructed style sheets are not inline styles: once this runs, a <style> element created by
// script keeps its text in a CSSStyleSheet adopted by the document instead (same rules, no CSP weakening).
// Loaded with the terminal only (nothing else in the renderer creates style elements).

let installed = false;

export function installCspSafeStyles(doc: Document = document): void {
  if (installed || typeof CSSStyleSheet === 'undefined' || !('adoptedStyleSheets' in doc)) return;
  installed = true;
  const create = doc.createElement.bind(doc) as (tag: string, options?: ElementCreationOptions) => HTMLElement;
  doc.createElement = ((tag: string, options?: ElementCreationOptions) => {
    const el = create(tag, options);
    if (tag.toLowerCase() !== 'style') return el;
    const sheet = new CSSStyleSheet();
    let text = '';
    let adopted = false;
    const adopt = (on: boolean) => {
      if (on === adopted) return;
      adopted = on;
      doc.adoptedStyleSheets = on ? [...doc.adoptedStyleSheets, sheet] : doc.adoptedStyleSheets.filter((s) => s !== sheet);
    };
    Object.defineProperty(el, 'textContent', {
      get: () => text,
      set: (value: string | null) => {
        text = value ?? '';
        sheet.replaceSync(text);
        adopt(true);
      },
    });
    const remove = el.remove.bind(el);
    el.remove = () => {
      adopt(false);
      remove();
    };
    return el;
  }) as typeof doc.createElement;
}
