import Docker from 'dockerode';
import { consoleJourney } from './console-journey.ts';

const docker = new Docker();

/** The console journey (console-journey.ts) on the Docker engine; its screenshots are the committed set. */
consoleJourney({
  name: 'Docker engine',
  engine: 'docker',
  prepare: () => Promise.resolve({ CYROP_SUBNET_POOL: '10.247.0.0/16' }),
  teamsOnEngine: async (exercise) => {
    const running = await docker.listContainers({
      filters: JSON.stringify({ label: [`cyrop.io/exercise=${exercise}`], status: ['running'] }),
    });
    return [...new Set(running.map((c) => c.Labels['cyrop.io/team'] ?? ''))];
  },
  keepScreenshots: true,
});
