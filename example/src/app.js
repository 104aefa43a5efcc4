import { CapacitorUpdater } from '@capgo/capacitor-updater'

document.getElementById('version').textContent = '__VERSION__'

// Tell the updater this bundle started fine; without this call the plugin rolls the update back.
CapacitorUpdater.notifyAppReady()
