/** `/admin`: the Hub's health — its backends, the scan queue, the last garbage collections. */
import { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { ScrollTable, Time } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { formatBytes } from '../../format.ts';
import { ui } from '../../paths.ts';
import { fetchHealth, type BackendHealth, type GcRun } from '../../../hub/client/health.ts';
import { AdminFrame, adminApi } from './shared.tsx';

const Backend: FC<{ name: string; health: BackendHealth<string> }> = ({ name, health }) => (
  <div class="card">
    <h2>{name}</h2>
    <dl class="facts">
      <dt>Driver</dt>
      <dd>
        <code>{health.driver}</code>
      </dd>
      <dt>Reachable</dt>
      <dd>{health.ok ? <span class="badge ok">reachable</span> : <span class="badge bad">unreachable</span>}</dd>
      {health.error ? (
        <>
          <dt>Error</dt>
          <dd>{health.error}</dd>
        </>
      ) : null}
    </dl>
  </div>
);

/** What a run removed, or would have on a dry run. */
function deletedSummary(run: GcRun): string {
  if (run.outcome === 'failure') return '—';
  return `${run.manifests ?? 0} manifests, ${run.blobs ?? 0} blobs, ${run.uploads ?? 0} uploads · ${formatBytes(run.bytesFreed ?? 0)}`;
}

const GcRuns: FC<{ runs: GcRun[] }> = ({ runs }) =>
  runs.length === 0 ? (
    <p class="muted">No garbage collection has run yet (<code>nocker hub gc</code> runs one).</p>
  ) : (
    <ScrollTable label="Recent GC runs">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">By</th>
            <th scope="col">Kind</th>
            <th scope="col">Deleted</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr>
              <td>
                <Time at={run.at} />
              </td>
              <td>{run.actor}</td>
              <td>
                {run.dryRun ? 'dry run' : 'real run'}
                {run.deleteUntagged ? ', untagged deleted' : ''}
              </td>
              <td>{deletedSummary(run)}</td>
              <td>{run.outcome === 'success' ? <span class="badge ok">done</span> : <span class="badge bad">failed: {run.error ?? 'no reason given'}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );

export function healthRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/admin', async (c) => {
    adminApi(c);
    const health = await fetchHealth(c.var.hub);
    return c.render(
      <AdminFrame title="Hub health" current="health">
        <div class="cards">
          <Backend name="Storage" health={health.storage} />
          <Backend name="Database" health={health.database} />
          <div class="card">
            <h2>Scan queue</h2>
            <dl class="facts">
              <dt>Queued</dt>
              <dd>{health.scanQueue.queued}</dd>
              <dt>Running</dt>
              <dd>{health.scanQueue.running}</dd>
              <dt>Retrying</dt>
              <dd>{health.scanQueue.retrying}</dd>
              <dt>Failed scans</dt>
              <dd>{health.scanQueue.failed}</dd>
            </dl>
          </div>
          <div class="card">
            <h2>Vulnerability database</h2>
            <dl class="facts">
              <dt>Version</dt>
              <dd>{health.vulndbVersion ?? 'nothing imported yet'}</dd>
            </dl>
            <p>
              <a href={ui('/admin/vulndb')}>Status and import history</a>
            </p>
          </div>
        </div>
        <h2>Last garbage collections</h2>
        <GcRuns runs={health.gc.runs} />
      </AdminFrame>,
      { title: 'Hub health', section: 'admin' },
    );
  });
  return app;
}
