export { jobqueue, jobqueueDead } from './jobqueue.ts';
