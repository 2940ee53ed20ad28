import { describe, expect, it } from 'vitest'
import { collectionAccess } from './collection-access.js'
import type { Viewer } from './viewer.js'

const user = (role: 'admin' | 'analyst' | 'read_only'): Viewer => ({ kind: 'user', userId: 'u', username: 'u', orgId: 'o', role })

describe('collectionAccess', () => {
  it('gives administrators and system jobs every right', () => {
    expect(collectionAccess(user('admin'), null)).toEqual({ visible: true, canRead: true, canWrite: true })
    expect(collectionAccess({ kind: 'system', name: 'import', orgId: 'o' }, null).canWrite).toBe(true)
  })
  it('hides a collection from an organisation without rights', () => {
    expect(collectionAccess(user('analyst'), null)).toEqual({ visible: false, canRead: false, canWrite: false })
    expect(collectionAccess(user('analyst'), { canRead: false, canWrite: false }).visible).toBe(false)
  })
  it('lets analysts write where their organisation may write', () => {
    expect(collectionAccess(user('analyst'), { canRead: false, canWrite: true })).toEqual({ visible: true, canRead: false, canWrite: true })
  })
  it('never lets read-only users write, even with can_write', () => {
    expect(collectionAccess(user('read_only'), { canRead: true, canWrite: true })).toEqual({ visible: true, canRead: true, canWrite: false })
  })
})
