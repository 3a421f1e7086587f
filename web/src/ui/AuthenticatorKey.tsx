import QRCode from 'qrcode';

/** What a QR code for an authenticator app carries, drawn once as an image (a data: URL the CSP allows). */
export const qrOf = (otpauthUrl: string): Promise<string> => QRCode.toDataURL(otpauthUrl, { margin: 1, width: 180 });

/** A key as one types it from the screen: groups of four. */
const inGroups = (secret: string) => secret.replace(/(.{4})(?=.)/g, '$1 ');

/** An authenticator app's key to scan (its QR code) or to type. */
export function AuthenticatorKey({ qr, secret, grouped = false }: { qr: string; secret: string; grouped?: boolean }) {
  return (
    <>
      <img className="qr" src={qr} alt="QR code of the key for your authenticator app" width={180} height={180} />
      <p className={grouped ? 'secret grouped' : 'secret'} aria-label="Key to type into the app">
        {grouped ? inGroups(secret) : secret}
      </p>
    </>
  );
}
