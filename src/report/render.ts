/**
 * Chart rendering in Node, no browser: Vega-Lite -> Vega -> SVG (vega View
 * with renderer 'none'), SVG -> PNG with resvg. resvg draws text only with a
 * font file: DejaVu Sans (Debian's fonts-dejavu-core, which .ci/run installs)
 * or Liberation Sans at their usual paths, else whatever system fonts resvg
 * finds itself (none: the PNG is drawn without text).
 */
import { Resvg } from '@resvg/resvg-js';
import { existsSync } from 'node:fs';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Font files PNG text is drawn with, by preference, and their family names. */
const KNOWN_FONTS: readonly { readonly file: string; readonly family: string }[] = [
  { file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', family: 'DejaVu Sans' },
  { file: '/usr/share/fonts/TTF/DejaVuSans.ttf', family: 'DejaVu Sans' },
  { file: '/usr/share/fonts/dejavu/DejaVuSans.ttf', family: 'DejaVu Sans' },
  { file: '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', family: 'Liberation Sans' },
  { file: '/usr/share/fonts/liberation/LiberationSans-Regular.ttf', family: 'Liberation Sans' },
];

/** Compiles a Vega-Lite spec to a Vega spec (throws on an invalid spec). */
export function toVega(spec: TopLevelSpec): vega.Spec {
  return compile(spec).spec;
}

/** The chart as an SVG document (data must be inline). */
export async function chartSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(toVega(spec)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The font PNG text is drawn with, or undefined when none of the known files exists here. */
export function chartFont(): { readonly file: string; readonly family: string } | undefined {
  return KNOWN_FONTS.find((f) => existsSync(f.file));
}

/** An SVG document as PNG bytes at `scale` times its size, on white. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const font = chartFont();
  // Without a known font, resvg searches the system's font folders itself (and draws no text if it finds none).
  const fontOptions = font ? { loadSystemFonts: false, fontFiles: [font.file], defaultFontFamily: font.family, sansSerifFamily: font.family } : { loadSystemFonts: true };
  const resvg = new Resvg(svg, { font: fontOptions, fitTo: { mode: 'zoom', value: scale }, background: 'white', logLevel: 'off' });
  return resvg.render().asPng();
}
