import { DIALECTS, openTestStore } from '../../../test/db.js'
import { describeStoreConformance } from '../conformance/store.conformance.js'
import { openStore } from './open.js'

for (const d of DIALECTS) describeStoreConformance(d, () => openTestStore(d))

// The portable putVersions (what PostgreSQL runs) on SQLite as well, where the parameter limit is lower.
if (DIALECTS.includes('sqlite'))
  describeStoreConformance('sqlite, portable putVersions', async () => {
    const store = await openStore({ driver: 'sqlite', path: ':memory:' }, { portablePutVersions: true })
    await store.migrate()
    return store
  })
