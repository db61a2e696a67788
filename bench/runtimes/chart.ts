/**
 * The SVG chart of `deno task bench:runtimes`: for each operation, one bar
 * per runtime (WebCrypto provider option), on a logarithmic time axis.
 *
 * @module
 */

interface Row {
  provider: string;
  op: string;
  us: number;
}

const COLORS = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#b07aa1",
];

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
}

/**
 * Draws the chart.
 *
 * @param results per runtime, its rows
 * @returns the SVG document
 */
export function chart(results: [string, Row[]][]): string {
  const provider = "webcrypto";
  const ops = [
    ...new Set(
      results.flatMap(([, rows]) =>
        rows.filter((r) => r.provider === provider).map((r) => r.op)
      ),
    ),
  ];
  const bar = 9;
  const gap = 8;
  const left = 250;
  const width = 520;
  const top = 30;
  const groupHeight = results.length * bar + gap;
  const height = top + ops.length * groupHeight + 40;
  const values = results.flatMap(([, rows]) =>
    rows.filter((r) => r.provider === provider).map((r) => Math.max(1, r.us))
  );
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const x = (us: number) =>
    left + (Math.log10(Math.max(1, us)) - lo) / (hi - lo) * width;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${
      left + width + 130
    }" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="16" font-size="12">time per operation (µs, log scale), provider: WebCrypto</text>`,
  ];
  for (let p = lo; p <= hi; p++) {
    const at = x(10 ** p);
    out.push(
      `<line x1="${at}" y1="${top - 4}" x2="${at}" y2="${
        height - 30
      }" stroke="#ddd"/>`,
      `<text x="${at}" y="${height - 16}" text-anchor="middle">${
        p >= 3 ? `${10 ** (p - 3)} ms` : `${10 ** p} µs`
      }</text>`,
    );
  }
  ops.forEach((op, i) => {
    const y0 = top + i * groupHeight;
    out.push(
      `<text x="${left - 6}" y="${
        y0 + (results.length * bar) / 2 + 4
      }" text-anchor="end">${escape(op)}</text>`,
    );
    results.forEach(([, rows], j) => {
      const row = rows.find((r) => r.op === op && r.provider === provider);
      if (!row) return;
      out.push(
        `<rect x="${left}" y="${y0 + j * bar}" width="${
          Math.max(1, x(row.us) - left).toFixed(1)
        }" height="${bar - 1}" fill="${COLORS[j % COLORS.length]}"/>`,
      );
    });
  });
  results.forEach(([name], j) => {
    const y = top + j * 16;
    out.push(
      `<rect x="${left + width + 10}" y="${y}" width="10" height="10" fill="${
        COLORS[j % COLORS.length]
      }"/>`,
      `<text x="${left + width + 24}" y="${y + 9}">${escape(name)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
