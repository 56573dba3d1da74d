import { bulkJobRoute } from './bulk-job-route';

export const handler = bulkJobRoute('cancel');
