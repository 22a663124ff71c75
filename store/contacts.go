package store

import "context"

// Contact is a customer's phone number and what the team knows about them.
type Contact struct {
	ID       string `json:"id"`
	Phone    string `json:"phone"`
	Name     string `json:"name"`
	OptedOut bool   `json:"opted_out"`
	Blocked  bool   `json:"blocked"`
}

// EnsureContact returns the contact for an E.164 phone, creating it if needed. The
// upsert makes concurrent first messages from one phone agree on one contact.
func (s *Store) EnsureContact(ctx context.Context, phone string) (Contact, error) {
	var c Contact
	err := s.pool.QueryRow(ctx, `INSERT INTO contacts (phone) VALUES ($1)
		ON CONFLICT (phone) DO UPDATE SET phone = excluded.phone
		RETURNING id, phone, name, opted_out, blocked`, phone).
		Scan(&c.ID, &c.Phone, &c.Name, &c.OptedOut, &c.Blocked)
	return c, err
}

// ContactByPhone finds a contact by E.164 phone.
func (s *Store) ContactByPhone(ctx context.Context, phone string) (Contact, error) {
	var c Contact
	err := s.pool.QueryRow(ctx, `SELECT id, phone, name, opted_out, blocked FROM contacts WHERE phone = $1`, phone).
		Scan(&c.ID, &c.Phone, &c.Name, &c.OptedOut, &c.Blocked)
	return c, notFound(err, "contact")
}

// ContactByID loads a contact.
func (s *Store) ContactByID(ctx context.Context, id string) (Contact, error) {
	var c Contact
	err := s.pool.QueryRow(ctx, `SELECT id, phone, name, opted_out, blocked FROM contacts WHERE id = $1`, id).
		Scan(&c.ID, &c.Phone, &c.Name, &c.OptedOut, &c.Blocked)
	return c, notFound(err, "contact")
}
