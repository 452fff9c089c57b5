import { testSettings } from './test-settings';

// Runs before each test file: every process.env read at start-up sees the test settings.
Object.assign(process.env, testSettings());
