// Domain: the link scanners and previewers that open links in emails and chats before (or instead
// of) the person they were sent to. A GET from one of them is recorded as a scan, not as the
// approver viewing the request; it decides nothing either way (deciding takes a POST).

/** A scanner's name and how its user agent gives it away. */
interface KnownScanner {
  readonly name: string;
  readonly userAgent: RegExp;
}

/**
 * Mail security gateways, chat and social link previewers, and search previewers, by the user
 * agents they announce themselves with. Scanners that pose as a browser cannot be told apart by
 * their user agent; their GETs still decide nothing.
 */
export const KNOWN_LINK_SCANNERS: readonly KnownScanner[] = [
  { name: 'Microsoft Defender Safe Links', userAgent: /SafeLinks|Microsoft Office Protocol Discovery/i },
  // Office fetches a link itself before handing it to the browser; the person's click follows.
  { name: 'Microsoft Office link check', userAgent: /Microsoft Office|MSOffice|ms-office/i },
  { name: 'Microsoft Teams preview', userAgent: /SkypeUriPreview|MicrosoftPreview/i },
  { name: 'Bing preview', userAgent: /BingPreview|bingbot/i },
  { name: 'Proofpoint URL Defense', userAgent: /Proofpoint/i },
  { name: 'Mimecast URL Protect', userAgent: /Mimecast/i },
  { name: 'Barracuda', userAgent: /Barracuda/i },
  { name: 'Cisco Secure Email', userAgent: /Cisco|IronPort/i },
  { name: 'Trend Micro', userAgent: /Trend ?Micro/i },
  { name: 'Symantec', userAgent: /Symantec|Broadcom/i },
  { name: 'Google link scanner', userAgent: /Google-Safety|GoogleImageProxy|Google-InspectionTool|Googlebot/i },
  { name: 'Slack link expansion', userAgent: /Slackbot/i },
  { name: 'Discord preview', userAgent: /Discordbot/i },
  { name: 'WhatsApp preview', userAgent: /WhatsApp/i },
  { name: 'Telegram preview', userAgent: /TelegramBot/i },
  { name: 'Facebook preview', userAgent: /facebookexternalhit|Facebot/i },
  { name: 'X (Twitter) preview', userAgent: /Twitterbot/i },
  { name: 'LinkedIn preview', userAgent: /LinkedInBot/i },
  { name: 'Apple link preview', userAgent: /AppleMailLinkPreview|Applebot/i },
  { name: 'generic crawler', userAgent: /\b(bot|crawler|spider|preview|scanner|urlscan)\b/i },
];

/** The scanner a user agent names, or null for anything else (a person's browser, as far as can be told). */
export function linkScannerOf(userAgent: string | null | undefined): string | null {
  if (!userAgent) return null;
  return KNOWN_LINK_SCANNERS.find((scanner) => scanner.userAgent.test(userAgent))?.name ?? null;
}
