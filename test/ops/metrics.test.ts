import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/api/index.js';
import { body } from '../helpers/test-log.js';
import { metricValue, opsLog } from './helpers.js';

describe('GET /metrics', () => {
  it('exposes every Cairn metric, and log metrics move after appends', async () => {
    const { log, metrics, app } = opsLog();
    const before = (await request(app).get('/metrics').expect(200)).text;
    expect(before).toMatch(/^# HELP cairn_tree_size /m);
    for (const name of [
      'cairn_tree_size',
      'cairn_entries_appended_total',
      'cairn_batch_size',
      'cairn_sequencing_duration_seconds',
      'cairn_checkpoint_age_seconds',
      'cairn_http_requests_total',
      'cairn_http_request_duration_seconds',
      'cairn_search_duration_seconds',
      'cairn_sqlite_size_bytes',
      'cairn_index_lag_entries',
      'cairn_witness_cosignature_age_seconds',
    ]) {
      expect(before, name).toContain(`# TYPE ${name} `);
    }
    expect(metricValue(before, 'cairn_tree_size')).toBe(0);
    expect(metricValue(before, 'cairn_entries_appended_total')).toBe(0);

    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append({ body: body(i), kind: 'test', indexKeys: ['k:all'] })));
    await log.append({ body: body(10), kind: 'test', indexKeys: [] });
    await log.append({ body: body(0), kind: 'test', indexKeys: [] }).catch(() => {}); // duplicate: not appended
    expect(log.search('k:all', 100)).toHaveLength(10);
    metrics.setCosignature('witness.example/w1', Date.now() - 5000);

    const after = (await request(app).get('/metrics').expect(200)).text;
    expect(metricValue(after, 'cairn_tree_size')).toBe(11);
    expect(metricValue(after, 'cairn_entries_appended_total')).toBe(11);
    const batches = metricValue(after, 'cairn_batch_size_count')!;
    expect(batches).toBeGreaterThanOrEqual(3); // the ten together (or split), the eleventh, the duplicate
    expect(metricValue(after, 'cairn_batch_size_sum')).toBe(12);
    expect(metricValue(after, 'cairn_sequencing_duration_seconds_count')).toBe(batches);
    expect(metricValue(after, 'cairn_sequencing_duration_seconds_sum')).toBeGreaterThan(0);
    expect(metricValue(after, 'cairn_search_duration_seconds_count')).toBe(1);
    expect(metricValue(after, 'cairn_sqlite_size_bytes')).toBeGreaterThan(4096);
    // Eleven entries are fewer than the index worker's run: all still in memory, until a flush.
    expect(metricValue(after, 'cairn_index_lag_entries')).toBe(11);
    await log.flushIndex();
    expect(metricValue((await request(app).get('/metrics').expect(200)).text, 'cairn_index_lag_entries')).toBe(0);
    const age = metricValue(after, 'cairn_checkpoint_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    const cosig = metricValue(after, 'cairn_witness_cosignature_age_seconds', 'witness="witness.example/w1"')!;
    expect(cosig).toBeGreaterThanOrEqual(5);
    expect(cosig).toBeLessThan(60);
    // The first scrape is counted once it finished.
    expect(metricValue(after, 'cairn_http_requests_total', 'route="/metrics",method="GET",status="200"')).toBe(1);
  });

  it('labels requests by route pattern, not raw path, so label values stay bounded', async () => {
    const { app, metrics } = opsLog();
    for (let i = 0; i < 5; i++) await request(app).get(`/api/v1/log/entries/${'ab'.repeat(32 - i)}`);
    for (let i = 0; i < 5; i++) await request(app).get(`/no/such/path/${i}`).expect(404);
    await request(app).get('/checkpoint').expect(200);
    await request(app).get('/api/v1/log/publicKey').expect(200);
    const text = await metrics.registry.getSingleMetricAsString('cairn_http_requests_total');
    const series = text.split('\n').filter((l) => l.startsWith('cairn_http_requests_total{'));
    const routes = new Set(series.map((l) => /route="([^"]*)"/.exec(l)![1]));
    expect(routes).toEqual(new Set(['/api/v1/log/entries/:entryUUID', 'unmatched', '/checkpoint', '/api/v1/log/publicKey']));
    expect(metricValue(text, 'cairn_http_requests_total', 'route="unmatched",method="GET",status="404"')).toBe(5);
    expect(text).not.toContain('/no/such/path');
    const hist = await metrics.registry.getSingleMetricAsString('cairn_http_request_duration_seconds');
    expect(metricValue(hist, 'cairn_http_request_duration_seconds_count', 'route="/checkpoint",method="GET",status="200"')).toBe(1);
  });

  it('counts an unusual method as "other", and registries of two logs are separate', async () => {
    const a = new Metrics({ processMetrics: false });
    const b = new Metrics({ processMetrics: false });
    a.observeRequest('/x', 'BREW', 418, 0.001);
    expect(await a.registry.getSingleMetricAsString('cairn_http_requests_total')).toContain('method="other"');
    expect(metricValue(await b.registry.getSingleMetricAsString('cairn_http_requests_total'), 'cairn_http_requests_total', 'route="/x",method="other",status="418"')).toBeUndefined();
  });

  it('includes the default process metrics when asked', async () => {
    const text = await new Metrics().registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});
