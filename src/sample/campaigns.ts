// Sample data: the marketing world the samples describe (campaigns, agents, channels).

/** A paid campaign run by the campaign optimizer. */
export interface SampleCampaign {
  readonly id: string;
  readonly channel: 'search' | 'social' | 'display' | 'video';
  /** Impressions per hour at a weekday peak, per variant. */
  readonly impressionsPerHour: number;
  /** Click-through rate of the control variant. */
  readonly ctr: number;
  /** Cost per click, in USD. */
  readonly cpc: number;
  /** Share of leads coming from this campaign. */
  readonly leadShare: number;
}

export const CAMPAIGNS: readonly SampleCampaign[] = [
  { id: 'cmp-spring-search', channel: 'search', impressionsPerHour: 900, ctr: 0.041, cpc: 1.35, leadShare: 0.22 },
  { id: 'cmp-brand-search', channel: 'search', impressionsPerHour: 600, ctr: 0.052, cpc: 0.95, leadShare: 0.18 },
  { id: 'cmp-summer-social', channel: 'social', impressionsPerHour: 1400, ctr: 0.018, cpc: 0.62, leadShare: 0.16 },
  { id: 'cmp-retarget-display', channel: 'display', impressionsPerHour: 2000, ctr: 0.009, cpc: 0.48, leadShare: 0.1 },
  { id: 'cmp-webinar-social', channel: 'social', impressionsPerHour: 700, ctr: 0.022, cpc: 0.71, leadShare: 0.09 },
];

/** Launched three days before the end of the sample, with a trickle of traffic. */
export const LAUNCH_CAMPAIGN: SampleCampaign = {
  id: 'cmp-autumn-video',
  channel: 'video',
  impressionsPerHour: 12,
  ctr: 0.012,
  cpc: 0.9,
  leadShare: 0,
};

/** The agents, one per use case. */
export const AGENTS = {
  leadRouter: { id: 'lead-router-1', useCase: 'lead_management' },
  campaignOptimizer: { id: 'campaign-optimizer-1', useCase: 'campaign_optimization' },
  contentPersonalizer: { id: 'content-personalizer-1', useCase: 'content_personalization' },
} as const;

export const LEAD_CHANNELS = ['paid_search', 'paid_social', 'email', 'events', 'organic'] as const;
