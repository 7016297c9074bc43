/**
 * @tributary/serving: Knative Serving-lite and jobs (docs/serving.md, docs/jobs.md) — Services
 * addressed by URL, Function, built-in sample image or local command processes scaled from zero;
 * JobSink jobs as local processes; and the process supervision ContainerSource shares.
 */
export * from './errors.js';
export * from './resources.js';
export { servingKinds } from './kinds.js';
export { servingPluginDescriptor } from './kinds-entry.js';
export { createServingPlugin, type ServingPluginOptions } from './plugin.js';
export {
  superviseProcess,
  runProcess,
  type ProcessSpec,
  type ProcessExit,
  type SupervisedProcess,
  type SuperviseHooks,
} from './process/process-supervisor.js';
export {
  autoscaleConfig,
  validateAutoscaling,
  parseGoDuration,
  revisionAnnotations,
  AUTOSCALING_PREFIX,
  DEFAULT_MAX_SCALE,
  type AutoscaleConfig,
} from './services/autoscale-config.js';
export {
  SAMPLE_IMAGES,
  sampleImage,
  imageName,
  displayText,
  type SampleImage,
  type SampleHandler,
} from './services/sample-images.js';
export {
  RevisionPool,
  type RevisionPoolOptions,
  type PoolObserver,
} from './services/revision-pool.js';
export {
  JobRunner,
  KNATIVE_EVENT_PATH,
  type JobRecord,
  type JobStatus,
} from './jobs/job-runner.js';
export { JobSlots } from './jobs/job-slots.js';
export { ADMIN_JOBS_PATH, JOBSINK_PATH, jobLocation } from './jobs/jobsink-routes.js';
