<?php
/*
 * The demo host's Email: emoncms's interface (to, bcc, subject, body, send) writing each mail to
 * <run>/mail.log instead of sending it. Like emoncms 11.x, to() throws on an invalid address.
 * Mail to a domain ending in ".smtp-fails.invalid" fails as an unconfigured mailer would, so the
 * module's failure path can be seen.
 */
defined('EMONCMS_EXEC') or die('Restricted access');

class Email
{
    private $to = array();
    private $bcc = array();
    private $subject = '';
    private $body = '';

    public function to($address)
    {
        if (!filter_var($address, FILTER_VALIDATE_EMAIL)) {
            throw new InvalidArgumentException("Invalid email address: $address");
        }
        $this->to[] = $address;
    }

    public function bcc($address)
    {
        if (filter_var($address, FILTER_VALIDATE_EMAIL)) {
            $this->bcc[] = $address;
        }
    }

    public function subject($subject)
    {
        $this->subject = (string) $subject;
    }

    public function body($body)
    {
        $this->body = (string) $body;
    }

    public function send()
    {
        global $settings;
        foreach ($this->to as $address) {
            if (substr($address, -strlen('.smtp-fails.invalid')) === '.smtp-fails.invalid') {
                return array('success' => false, 'message' => 'SMTP configuration invalid.');
            }
        }
        $mail = json_encode(array('time' => date('c'), 'to' => $this->to, 'bcc' => $this->bcc,
            'subject' => $this->subject, 'body' => $this->body), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        file_put_contents($settings['mail_log'], $mail . "\n", FILE_APPEND | LOCK_EX);
        return array('success' => true, 'message' => 'Email sent');
    }
}
