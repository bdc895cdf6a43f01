"""British spellings and their American forms, for titles published under both.

A title word is compared in its American spelling (:func:`plugin.matching.text._canonical`),
so "The Colour of Magic" is "The Color of Magic" and "Grey" is "Gray", whichever edition
Plex or the request manager has. Only whole words listed here: a rule such as "-our →
-or" would turn "tour" into "tor". Pairs that :func:`plugin.matching.text.token_close`
already forgives are listed too, so that the indexes file both under one word.
"""
from __future__ import annotations

_PAIRS = """
colour color colours colors coloured colored honour honor honours honors honourable honorable
favourite favorite favourites favorites neighbour neighbor neighbours neighbors labour labor
humour humor rumour rumor rumours rumors armour armor harbour harbor valour valor vapour vapor
behaviour behavior flavour flavor splendour splendor glamour glamor savour savor odour odor
centre center centres centers theatre theater theatres theaters metre meter litre liter
fibre fiber sombre somber spectre specter sceptre scepter lustre luster calibre caliber
defence defense offence offense licence license pretence pretense
grey gray greys grays
traveller traveler travellers travelers travelling traveling travelled traveled
jewellery jewelry jeweller jeweler counsellor counselor modelling modeling marvellous marvelous
cancelled canceled quarrelling quarreling fuelled fueled labelled labeled
catalogue catalog dialogue dialog analogue analog monologue monolog
organise organize organised organized organisation organization realise realize realised realized
recognise recognize recognised recognized apologise apologize civilisation civilization
civilisations civilizations colonisation colonization globalisation globalization
characterise characterize criticise criticize memorise memorize symbolise symbolize
analyse analyze analysed analyzed paralysed paralyzed
mould mold moulded molded plough plow ploughman plowman
pyjamas pajamas tyre tire tyres tires aluminium aluminum
programme program programmes programs sceptic skeptic sceptical skeptical scepticism skepticism
cosy cozy moustache mustache manoeuvre maneuver manoeuvres maneuvers
encyclopaedia encyclopedia mediaeval medieval paediatric pediatric anaesthesia anesthesia
oestrogen estrogen foetus fetus haemorrhage hemorrhage leukaemia leukemia
ageing aging judgement judgment acknowledgement acknowledgment
draught draft draughts drafts kerb curb storey story gaol jail whisky whiskey
mum mom mummy mommy arse ass
"""
_WORDS = _PAIRS.split()

# British spelling -> American spelling.
AMERICAN: dict[str, str] = dict(zip(_WORDS[0::2], _WORDS[1::2]))
