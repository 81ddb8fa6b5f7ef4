/** `/admin/vulndb`: the vulnerability database's status and the history of its imports. */
import { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { ScrollTable, Time } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { fetchVulndbImports, fetchVulndbStatus, type VulndbImport } from '../../../hub/client/vulndb.ts';
import { AdminFrame, adminApi } from './shared.tsx';

/** Imports the page lists. */
const IMPORTS_SHOWN = 50;
const COUNT_NAMES = ['added', 'updated', 'withdrawn', 'skipped', 'rejected'] as const;

const Imports: FC<{ imports: VulndbImport[] }> = ({ imports }) =>
  imports.length === 0 ? (
    <p class="muted">
      Nothing imported yet: <code>nocker hub vulndb import</code> loads OSV exports.
    </p>
  ) : (
    <ScrollTable label="Import history">
      <table>
        <thead>
          <tr>
            <th scope="col" class="num">
              Version
            </th>
            <th scope="col">Source</th>
            <th scope="col">By</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
            {COUNT_NAMES.map((name) => (
              <th scope="col" class="num">
                {name[0]!.toUpperCase() + name.slice(1)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {imports.map((i) => (
            <tr>
              <td class="num">{i.id}</td>
              <td>{i.source ?? <span class="muted">not named</span>}</td>
              <td>{i.importedBy}</td>
              <td>
                <Time at={i.startedAt} />
              </td>
              <td>{i.finishedAt ? <Time at={i.finishedAt} /> : <span class="badge warn">unfinished</span>}</td>
              {COUNT_NAMES.map((name) => (
                <td class="num">{i.counts?.[name] ?? '—'}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );

export function vulndbRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/admin/vulndb', async (c) => {
    adminApi(c);
    const [status, imports] = await Promise.all([fetchVulndbStatus(c.var.hub), fetchVulndbImports(c.var.hub, IMPORTS_SHOWN)]);
    return c.render(
      <AdminFrame title="Vulnerability database" current="vulndb">
        <dl class="facts">
          <dt>Version</dt>
          <dd>{status.version ?? 'nothing imported yet'}</dd>
          <dt>Records</dt>
          <dd>
            {status.records} ({status.withdrawn} withdrawn)
          </dd>
          <dt>Last import</dt>
          <dd>{status.lastImport ? <Time at={status.lastImport.finishedAt ?? status.lastImport.startedAt} /> : '—'}</dd>
        </dl>
        <h2>Records per ecosystem</h2>
        {status.ecosystems.length === 0 ? (
          <p class="muted">No records in force.</p>
        ) : (
          <ScrollTable label="Records per ecosystem">
            <table>
              <thead>
                <tr>
                  <th scope="col">Ecosystem</th>
                  <th scope="col" class="num">
                    Records in force
                  </th>
                </tr>
              </thead>
              <tbody>
                {status.ecosystems.map((e) => (
                  <tr>
                    <td>{e.ecosystem}</td>
                    <td class="num">{e.records}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
        )}
        <h2>Import history</h2>
        <Imports imports={imports} />
      </AdminFrame>,
      { title: 'Vulnerability database', section: 'admin' },
    );
  });
  return app;
}
