import type { ComponentState } from '../../platform/probes.js';
import type { Incident } from './status.incidents.js';
import type { Maintenance } from './status.maintenance.js';
import { partialOutageWeight, type UptimeFigures } from './status.uptime.js';
import { renderTrustHtml } from './status.trust.js';
import { escapeHtml, utc } from './status.html.js';
import type { Evidence } from '../../platform/evidence.js';

/** Everything the public status page shows, read at one moment. */
export interface StatusPageModel {
  readonly title: string;
  /** Where the page is published (its feeds' links); relative links when unknown. */
  readonly siteUrl: string | undefined;
  /** Where the platform takes subscriptions (`https://status.example.com`): the form posts to `<it>/subscribe`. */
  readonly subscribeUrl: string | undefined;
  readonly generatedAt: Date;
  readonly components: readonly {
    id: string;
    name: string;
    description: string;
    state: ComponentState;
    maintenance: boolean;
    /** The last 90 UTC days, oldest first; a day with no figures is missing. */
    days: readonly { day: string; figures: UptimeFigures | undefined }[];
    /** This calendar month so far. */
    month: UptimeFigures;
  }[];
  /** Open incidents first, then those resolved in the last 14 days. */
  readonly incidents: readonly Incident[];
  /** Windows under way or ahead. */
  readonly maintenance: readonly Maintenance[];
  /** The trust page's measured figures (backups, restores, replication, failover). */
  readonly evidence: readonly Evidence[];
}

export interface SiteFile {
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
}

const stateWords: Record<ComponentState, string> = {
  operational: 'Operational',
  degraded: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
};

/** Availability as a percentage, rounded down (99.9996 % is not 100 %). */
export const percent = (availability: number | undefined): string =>
  availability === undefined ? 'no data' : `${(Math.floor(availability * 100_000) / 1000).toFixed(3)} %`;

const minutes = (n: number): string => (n === 1 ? '1 minute' : `${Math.round(n * 10) / 10} minutes`);

/** A day's words: its availability and what took from it, for the bar's label. */
function dayLabel(day: string, figures: UptimeFigures | undefined): { text: string; level: string } {
  if (!figures || figures.countedMinutes === 0) return { text: `${day}: no data`, level: 'n' };
  const parts = [
    figures.majorOutage && `${minutes(figures.majorOutage)} major outage`,
    figures.partialOutage && `${minutes(figures.partialOutage)} partial outage`,
    figures.shortNoticeMaintenance && `${minutes(figures.shortNoticeMaintenance)} short-notice maintenance`,
    figures.maintenance && `${minutes(figures.maintenance)} announced maintenance`,
    figures.degraded && `${minutes(figures.degraded)} degraded`,
  ].filter(Boolean);
  const level =
    figures.majorOutage || figures.shortNoticeMaintenance
      ? 'x'
      : figures.partialOutage
        ? 'p'
        : figures.degraded
          ? 'd'
          : 'o';
  return {
    text: `${day}: ${percent(figures.availability)}${parts.length ? `, ${parts.join(', ')}` : ', no downtime'}`,
    level,
  };
}

const overall = (model: StatusPageModel): { text: string; level: string } => {
  const states = model.components.map((c) => c.state);
  if (states.includes('major_outage')) return { text: 'Major outage', level: 'x' };
  if (states.includes('partial_outage')) return { text: 'Partial outage', level: 'p' };
  if (states.includes('degraded')) return { text: 'Degraded performance', level: 'd' };
  if (model.components.some((c) => c.maintenance)) return { text: 'Under maintenance', level: 'm' };
  return { text: 'All systems operational', level: 'o' };
};

const css = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#101828;background:#f8f9fc}main{max-width:52rem;margin:0 auto;padding:1rem}h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.2rem;margin:2rem 0 .5rem}section,article{background:#fff;border:1px solid #e4e7ec;border-radius:8px;padding:1rem;margin:.75rem 0}.banner{padding:1rem;border-radius:8px;font-weight:600;color:#fff}.o{background:#067647}.d{background:#b54708}.p{background:#c4320a}.x{background:#b42318}.m{background:#175cd3}.n{background:#98a2b3}.row{display:flex;justify-content:space-between;align-items:baseline;gap:0 1rem;flex-wrap:wrap}h3{font-size:1.05rem;margin:0 0 .25rem}.muted{color:#475467;font-size:.9rem}ol.bar{display:flex;gap:1px;list-style:none;padding:0;margin:.5rem 0;height:2rem}ol.bar li{flex:1;position:relative;border-radius:1px}ol.bar li.x{height:100%}ol.bar li.p,ol.bar li.d{height:85%;margin-top:auto}ol.bar li.o{height:70%;margin-top:auto}ol.bar li.n{height:40%;margin-top:auto}ol.bar li span{position:absolute;left:-9999px}ol.bar li:focus,ol.bar li:hover{outline:2px solid #101828}ol.bar li:focus span,ol.bar li:hover span{left:auto;right:0;top:2.3rem;z-index:1;width:16rem;background:#101828;color:#fff;padding:.4rem;border-radius:4px;font-size:.8rem}.state{font-weight:600}.up{list-style:none;padding:0}.up li{margin:.5rem 0}dl{display:grid;grid-template-columns:minmax(0,max-content) 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}@media(max-width:40rem){dl{grid-template-columns:1fr}dd{margin-bottom:.5rem}}.legend{display:grid;grid-template-columns:auto 1fr auto;gap:.5rem;text-align:center;margin:0}a{color:#1849a9}.value{font-size:1.15rem;font-weight:600;margin:.25rem 0}article.stale{border-left:4px solid #b54708}article.failed{border-left:4px solid #b42318}.warn{color:#93370d;font-weight:600}.tag{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.8rem;color:#fff;vertical-align:middle}nav.links{display:flex;gap:1rem;flex-wrap:wrap}form.subscribe{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}form.subscribe label{width:100%;font-weight:600}input{font:inherit;padding:.5rem .6rem;border:1px solid #98a2b3;border-radius:6px;flex:1 1 14rem;min-width:0}button{font:inherit;font-weight:600;padding:.5rem 1rem;border:0;border-radius:6px;background:#1849a9;color:#fff;cursor:pointer}button:focus-visible,input:focus-visible{outline:2px solid #101828;outline-offset:2px}`;

/** The status page as static files: index.html (no script), style.css, feed.atom, feed.json, and the trust page. */
export function renderStatusSite(model: StatusPageModel): SiteFile[] {
  return [
    { path: 'index.html', contentType: 'text/html; charset=utf-8', body: renderHtml(model) },
    // A file of its own, not inline: the platform serves the page under a CSP that allows no inline style.
    { path: 'style.css', contentType: 'text/css; charset=utf-8', body: `${css}\n` },
    { path: 'feed.atom', contentType: 'application/atom+xml; charset=utf-8', body: renderAtom(model) },
    { path: 'feed.json', contentType: 'application/feed+json; charset=utf-8', body: renderJsonFeed(model) },
    {
      path: 'trust.html',
      contentType: 'text/html; charset=utf-8',
      body: renderTrustHtml(model.title, model.generatedAt, model.evidence),
    },
  ];
}

function renderHtml(model: StatusPageModel): string {
  const now = overall(model);
  const open = model.incidents.filter((incident) => incident.state !== 'resolved');
  const past = model.incidents.filter((incident) => incident.state === 'resolved');
  const incidentHtml = (incident: Incident) =>
    `<article><h3>${escapeHtml(incident.title)}</h3><p class="muted">Affects ${escapeHtml(
      Object.keys(incident.components)
        .map((id) => model.components.find((c) => c.id === id)?.name ?? id)
        .join(', '),
    )} · began ${utc(incident.startedAt)}${incident.resolvedAt ? ` · resolved ${utc(incident.resolvedAt)}` : ''}</p><ol class="up">${incident.updates
      .map(
        (update) =>
          `<li><span class="state">${escapeHtml(update.state[0]!.toUpperCase() + update.state.slice(1))}</span> — ${escapeHtml(update.message)} <span class="muted">${utc(update.at)}</span></li>`,
      )
      .join('')}</ol></article>`;
  const maintenanceHtml = (window: Maintenance) =>
    `<article><h3>${escapeHtml(window.title)}</h3><p class="muted">${utc(window.startsAt)} to ${utc(window.endsAt)}${
      window.startsAt <= model.generatedAt ? ' · under way' : ''
    }${window.shortNotice ? ` · announced at short notice${window.reason ? `: ${escapeHtml(window.reason)}` : ''}` : ''}</p>${
      window.description ? `<p>${escapeHtml(window.description)}</p>` : ''
    }</article>`;
  const componentHtml = (component: StatusPageModel['components'][number]) => {
    const days = component.days
      .map(({ day, figures }) => {
        const label = dayLabel(day, figures);
        return `<li class="${label.level}" tabindex="0"><span>${label.text}</span></li>`;
      })
      .join('');
    return `<section aria-labelledby="c-${escapeHtml(component.id)}"><div class="row"><h3 id="c-${escapeHtml(component.id)}">${escapeHtml(
      component.name,
    )}</h3><span class="state">${component.maintenance ? 'Under maintenance' : stateWords[component.state]}</span></div><p class="muted">${escapeHtml(
      component.description,
    )}</p><ol class="bar" aria-label="${escapeHtml(component.name)}, the last 90 days, one entry a day">${days}</ol><p class="legend muted"><span>90 days ago</span><span>This month: ${percent(
      component.month.availability,
    )}</span><span>Today</span></p></section>`;
  };
  const feeds = `<link rel="alternate" type="application/atom+xml" href="feed.atom" title="Incidents and maintenance (Atom)"><link rel="alternate" type="application/feed+json" href="feed.json" title="Incidents and maintenance (JSON Feed)">`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(
    model.title,
  )}</title>${feeds}<link rel="stylesheet" href="style.css"></head><body><main><h1>${escapeHtml(model.title)}</h1><nav class="links" aria-label="More"><a href="trust.html">Backups and recovery, measured</a><a href="feed.atom">Atom feed</a></nav><p class="muted">Updated ${utc(
    model.generatedAt,
  )}. This page is published away from the platform, so it stays up when the platform is down; if that time is long ago, the platform could not update it since.</p><p class="banner ${now.level}" role="status">${now.text}</p>${
    open.length ? `<h2>Incidents now</h2>${open.map(incidentHtml).join('')}` : ''
  }${model.maintenance.length ? `<h2>Scheduled maintenance</h2>${model.maintenance.map(maintenanceHtml).join('')}` : ''}<h2>Components</h2>${model.components
    .map(componentHtml)
    .join(
      '',
    )}${past.length ? `<h2>Past incidents (14 days)</h2>${past.map(incidentHtml).join('')}` : ''}<h2>How uptime is counted</h2><section><p>Each minute of a component has one state, from probes that check it every 30 seconds from the platform and from other places. An outage counts only when more than half of the places that checked saw it.</p><dl><dt>Major outage</dt><dd>counts fully as downtime</dd><dt>Partial outage</dt><dd>counts as ${Math.round(
    partialOutageWeight * 100,
  )} % of a minute of downtime</dd><dt>Degraded</dt><dd>not downtime</dd><dt>Maintenance announced 24 h ahead</dt><dd>removed from the month</dd><dt>Maintenance announced later, or never</dt><dd>counts fully as downtime</dd><dt>No data</dt><dd>left out, and shown as such</dd></dl><p>Uptime = 1 − downtime ÷ (minutes in the month − announced maintenance − minutes without data). Months are calendar months in UTC. The promise is 99.9 % a month.</p></section><h2 id="subscribe">Get an email</h2><section>${
    model.subscribeUrl
      ? `<form class="subscribe" method="post" action="${escapeHtml(`${model.subscribeUrl}/subscribe`)}"><label for="email">Email address</label><input id="email" name="email" type="email" required autocomplete="email" maxlength="254"><button type="submit">Subscribe</button></form><p class="muted">We send a link to confirm first, and every email has a link to unsubscribe with one click.</p>`
      : ''
  }<p class="muted">Or follow the <a href="feed.atom">Atom feed</a> or the <a href="feed.json">JSON Feed</a>.</p></section></main></body></html>\n`;
}

/** What the feeds carry: each incident and maintenance window, newest first. */
function feedEntries(model: StatusPageModel) {
  return [
    ...model.incidents.map((incident) => ({
      id: `incident-${incident.id}`,
      title: `${incident.state === 'resolved' ? 'Resolved' : 'Incident'}: ${incident.title}`,
      updated: incident.updates[0]?.at ?? incident.startedAt,
      text: incident.updates.map((update) => `${utc(update.at)} ${update.state}: ${update.message}`).join('\n'),
    })),
    ...model.maintenance.map((window) => ({
      id: `maintenance-${window.id}`,
      title: `Maintenance: ${window.title}`,
      updated: window.announcedAt,
      text: `${utc(window.startsAt)} to ${utc(window.endsAt)}${window.shortNotice ? ` (short notice${window.reason ? `: ${window.reason}` : ''})` : ''}${window.description ? `\n${window.description}` : ''}`,
    })),
  ].sort((a, b) => b.updated.getTime() - a.updated.getTime());
}

const escapeXml = escapeHtml;

function renderAtom(model: StatusPageModel): string {
  const base = model.siteUrl ? `${model.siteUrl.replace(/\/+$/, '')}/` : '';
  const entries = feedEntries(model)
    .map(
      (entry) =>
        `<entry><id>${escapeXml(`${base || 'urn:steadfast:status:'}${entry.id}`)}</id><title>${escapeXml(entry.title)}</title><updated>${entry.updated.toISOString()}</updated><link href="${escapeXml(`${base}index.html`)}"/><content type="text">${escapeXml(entry.text)}</content></entry>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><id>${escapeXml(
    `${base || 'urn:steadfast:status:'}feed.atom`,
  )}</id><title>${escapeXml(model.title)}</title><updated>${model.generatedAt.toISOString()}</updated><link rel="self" href="${escapeXml(
    `${base}feed.atom`,
  )}"/><link href="${escapeXml(`${base}index.html`)}"/>${entries}</feed>\n`;
}

function renderJsonFeed(model: StatusPageModel): string {
  const base = model.siteUrl ? `${model.siteUrl.replace(/\/+$/, '')}/` : undefined;
  return `${JSON.stringify(
    {
      version: 'https://jsonfeed.org/version/1.1',
      title: model.title,
      ...(base ? { home_page_url: `${base}index.html`, feed_url: `${base}feed.json` } : {}),
      items: feedEntries(model).map((entry) => ({
        id: entry.id,
        title: entry.title,
        content_text: entry.text,
        date_modified: entry.updated.toISOString(),
      })),
    },
    null,
    1,
  )}\n`;
}
