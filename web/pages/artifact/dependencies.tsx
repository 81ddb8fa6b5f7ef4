/** Placeholder until this tab lands. */
import type { TabRenderer } from './types.ts';

export const renderDependenciesTab: TabRenderer = async () => <p>Dependencies are not shown yet.</p>;
