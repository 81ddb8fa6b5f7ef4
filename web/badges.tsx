/** Badges for what a tag or repository card says about signatures and vulnerabilities. */
import type { FC } from 'hono/jsx';
import { SeverityBadges } from './components.tsx';
import type { SignatureSummary, VulnerabilitySummary } from '../hub/client/catalog.ts';

/** How signatures stand, in words and a badge: the colour only repeats what the text says. */
export const SignatureBadge: FC<{ signatures: SignatureSummary | null | undefined }> = ({ signatures }) => {
  if (!signatures || signatures.status === 'unsigned') return <span class="badge">✗ unsigned</span>;
  const by = signatures.signers.length > 0 ? ` by ${signatures.signers.join(', ')}` : '';
  switch (signatures.status) {
    case 'valid':
      return <span class="badge ok">✓ signed{by}</span>;
    case 'untrusted':
      return (
        <span class="badge warn" title="Signed, but not by a signer the production policy trusts">
          ✓ signed{by} (not trusted by policy)
        </span>
      );
    default:
      return <span class="badge bad">✗ signature does not verify</span>;
  }
};

/** The latest scan's counts, or where the scan is. */
export const VulnerabilityBadges: FC<{ vulnerabilities: VulnerabilitySummary | null | undefined }> = ({ vulnerabilities }) => {
  if (!vulnerabilities) return <span class="muted">not scanned</span>;
  if (vulnerabilities.status === 'pending') return <span class="muted">scan pending</span>;
  if (vulnerabilities.status === 'failed') return <span class="badge warn">scan failed</span>;
  return <SeverityBadges counts={vulnerabilities.counts} />;
};
