/** Values as docs/product/worker.md writes them, shared by the tests that send them. */

/** The persona of docs/product/worker.md "Worker Identity". */
export const ALEX_PERSONA = {
  $type: 'Person',
  name: 'Alex Rodriguez',
  jobTitle: 'Customer Success Manager',
  background: 'Psychology degree, 7 years in SaaS customer success',
  expertise: ['customer_onboarding', 'relationship_building', 'churn_prevention', 'upsell_identification'],
  personalityTraits: ['empathetic', 'proactive', 'detail-oriented', 'problem-solver'],
  communicationStyle: 'warm, professional, solution-focused',
  workingHours: '9am-5pm PST',
  languages: ['English', 'Spanish'],
};
