// A reader for the Prometheus text exposition format (what /actuator/prometheus serves): enough
// of it for the dashboard, namely samples with labels; comments, types and timestamps are skipped.

/**
 * @param {string} text the exposition
 * @returns {Map<string, Array<{labels: Object<string,string>, value: number}>>} samples by metric name
 */
export function parsePrometheus(text) {
  const metrics = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sample = parseLine(line);
    if (!sample) continue;
    let list = metrics.get(sample.name);
    if (!list) metrics.set(sample.name, (list = []));
    list.push({ labels: sample.labels, value: sample.value });
  }
  return metrics;
}

function parseLine(line) {
  const nameEnd = line.search(/[{\s]/);
  if (nameEnd <= 0) return null;
  const name = line.slice(0, nameEnd);
  let i = nameEnd;
  const labels = {};
  if (line[i] === '{') {
    i++;
    while (i < line.length && line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq < 0) return null;
      const key = line.slice(i, eq).trim().replace(/^,/, '').trim();
      i = eq + 1;
      if (line[i] !== '"') return null;
      i++;
      let value = '';
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) {
          const next = line[i + 1];
          value += next === 'n' ? '\n' : next;
          i += 2;
        } else {
          value += line[i++];
        }
      }
      i++; // closing quote
      labels[key] = value;
      while (line[i] === ',' || line[i] === ' ') i++;
    }
    i++; // closing brace
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const value = parseValue(rest[0]);
  if (value === null) return null;
  return { name, labels, value };
}

function parseValue(s) {
  if (s === undefined) return null;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

/** The sum of every sample of name (0 when absent). */
export function total(metrics, name) {
  return (metrics.get(name) ?? []).reduce((sum, s) => sum + (Number.isFinite(s.value) ? s.value : 0), 0);
}

/** {labelValue: sum} of name's samples grouped by one label. */
export function byLabel(metrics, name, label) {
  const out = {};
  for (const s of metrics.get(name) ?? []) {
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + (Number.isFinite(s.value) ? s.value : 0);
  }
  return out;
}

/** Whether the exposition has name at all. */
export function has(metrics, name) {
  return metrics.has(name);
}
